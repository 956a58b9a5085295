"""Tests of arxivist.evaluation."""
