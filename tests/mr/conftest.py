"""Fixtures for the MapReduce tests: generated inputs once per session, a fresh Job per test."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from mr.inputs import write_books
from tests.mr.mrjob import MAX_SOCKET_PATH, Job


@pytest.fixture(scope="session")
def mr_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eight pg-*.txt books, generated (deterministically) into a session folder."""
    base = tmp_path_factory.mktemp("mr")
    write_books(base)
    return base


@pytest.fixture
def job(mr_inputs: Path, request: pytest.FixtureRequest):
    """A fresh folder mr_inputs/<test>/ (inputs are ../pg-*.txt, as in test-mr.sh) and its own socket."""
    folder = mr_inputs / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    socket_path = str(mr_inputs / f"{request.node.name}.sock")
    short_dir = None
    if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:  # AF_UNIX paths are limited to 107 bytes
        short_dir = tempfile.mkdtemp(prefix="mr-")
        socket_path = os.path.join(short_dir, "s")
    inputs = [f"../{p.name}" for p in sorted(mr_inputs.glob("pg-*.txt"))]
    job = Job(folder, inputs, socket_path)
    yield job
    job.stop()
    if os.path.exists(socket_path):
        os.remove(socket_path)
    if short_dir is not None:
        shutil.rmtree(short_dir, ignore_errors=True)
