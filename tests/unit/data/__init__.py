"""Tests of arxivist.data."""
