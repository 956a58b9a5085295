"""Tests of arxivist.publishing."""
