"""Tests of arxivist.model."""
