"""Tests for the porcupine linearizability checker."""
