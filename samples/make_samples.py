#!/usr/bin/python3
"""Builds the Fashion-MNIST sample models and evaluation subset in samples/fashion-mnist/.

Run with Debian's Python and PyTorch (apt-get install python3-torch dataset-fashion-mnist):
    /usr/bin/python3 samples/make_samples.py
CI does not run this; its outputs are committed. Training is seeded, but PyTorch does not promise bit-identical
weights across versions or CPUs, so a rerun gives equivalent, not identical, files.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist")
SUBSET = 2000


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx_gz(path, array):
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(header + array.astype(np.uint8).tobytes())


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def train(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(7)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        print(f"  epoch {epoch + 1}: last batch loss {loss.item():.4f}", flush=True)
    model.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def export(model, name, example):
    onnx_path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, example, onnx_path, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
                      do_constant_folding=True)
    traced = torch.jit.trace(model, example)
    traced.save(os.path.join(OUT, name + ".pt"))
    return onnx_path


def main():
    torch.manual_seed(42)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(OUT, exist_ok=True)
    xtr = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte_u8 = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    yte_u8 = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")
    xte = torch.from_numpy(xte_u8.astype(np.float32) / 255.0).unsqueeze(1)
    yte = torch.from_numpy(yte_u8.astype(np.int64))

    write_idx_gz(os.path.join(OUT, "t10k-2000-images-idx3-ubyte.gz"), xte_u8[:SUBSET])
    write_idx_gz(os.path.join(OUT, "t10k-2000-labels-idx1-ubyte.gz"), yte_u8[:SUBSET])

    report = {"torch": torch.__version__, "subset": SUBSET, "models": {}}
    for name, model, epochs, lr in (("fashion_mlp", Mlp(), 4, 1e-3), ("fashion_cnn", Cnn(), 3, 1e-3)):
        print(f"training {name}", flush=True)
        train(model, xtr, ytr, epochs, lr)
        export(model, name, torch.zeros(1, 1, 28, 28))
        report["models"][name] = {
            "epochs": epochs,
            "parameters": sum(p.numel() for p in model.parameters()),
            "test_accuracy_10000": round(accuracy(model, xte, yte), 4),
            "subset_accuracy_2000": round(accuracy(model, xte[:SUBSET], yte[:SUBSET]), 4),
        }
        print(f"  {report['models'][name]}", flush=True)
    with open(os.path.join(OUT, "training-report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
