"""Minimal safetensors reader shared by the delta research scripts (numpy only)."""

import json
import struct

import numpy as np

# safetensors dtype -> (element bytes, unsigned integer view)
DTYPES = {"BF16": (2, np.uint16), "F16": (2, np.uint16), "F32": (4, np.uint32),
          "F8_E4M3": (1, np.uint8), "F8_E5M2": (1, np.uint8),
          "I8": (1, np.uint8), "U8": (1, np.uint8), "I16": (2, np.uint16),
          "I32": (4, np.uint32), "I64": (8, np.uint64), "F64": (8, np.uint64),
          "BOOL": (1, np.uint8)}


class SafeTensors:
    """A safetensors file: header bytes, and each tensor's raw bytes and dtype."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        (n,) = struct.unpack("<Q", self.data[:8])
        self.header_bytes = self.data[:8 + n]
        hdr = json.loads(self.data[8:8 + n])
        self.metadata = hdr.pop("__metadata__", {})
        self.base = 8 + n
        # tensors in file order
        self.tensors = dict(sorted(hdr.items(), key=lambda kv: kv[1]["data_offsets"][0]))

    def raw(self, name):
        b, e = self.tensors[name]["data_offsets"]
        return self.data[self.base + b:self.base + e]

    def bits(self, name):
        """The tensor's elements as unsigned integers of the element's width."""
        t = self.tensors[name]
        return np.frombuffer(self.raw(name), dtype=DTYPES[t["dtype"]][1])

    def dtype(self, name):
        return self.tensors[name]["dtype"]

    def matches(self, other, name):
        """True when `other` has a tensor `name` of the same dtype and shape."""
        if name not in other.tensors:
            return False
        a, b = self.tensors[name], other.tensors[name]
        return a["dtype"] == b["dtype"] and a["shape"] == b["shape"]
