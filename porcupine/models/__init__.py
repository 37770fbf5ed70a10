"""Models for porcupine; ``kv`` is the one the kvraft tests use."""

from porcupine.models.kv import APPEND, GET, PUT, KvInput, KvModel, KvOutput, kv_model

__all__ = ["APPEND", "GET", "PUT", "KvInput", "KvModel", "KvOutput", "kv_model"]
