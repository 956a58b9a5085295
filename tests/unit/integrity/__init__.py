"""Tests of arxivist.integrity."""
