"""Unit tests, one folder per room of src/arxivist; the top-level modules' tests here."""
