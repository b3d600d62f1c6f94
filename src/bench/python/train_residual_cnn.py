#!/usr/bin/python3
"""Trains a small real CNN on Fashion-MNIST and exports it to ONNX: the model the entropy-calibration regression
test (EntropyCalibrationIT) quantizes.

Architecture (what issue 14 reported entropy calibration to break on): Conv-BN-ReLU stem, a depthwise-separable
residual block with ReLU6 (depthwise 3x3 + BN + ReLU6, pointwise 1x1 + BN, added to its input), a stride-2
Conv-BN-ReLU, global average pooling and a Gemm classifier. Seeded and single-threaded: the same file every run.

  train_residual_cnn.py OUT.onnx [EPOCHS]
Needs Debian's python3-torch and dataset-fashion-mnist. About a minute on two cores.
"""
import gzip
import os
import sys

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1, bias=False), torch.nn.BatchNorm2d(16),
                                        torch.nn.ReLU())
        self.dw = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False),
                                      torch.nn.BatchNorm2d(16), torch.nn.ReLU6())
        self.pw = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 1, bias=False), torch.nn.BatchNorm2d(16))
        self.down = torch.nn.Sequential(torch.nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False),
                                        torch.nn.BatchNorm2d(32), torch.nn.ReLU())
        self.fc = torch.nn.Linear(32, 10)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = self.down(x)
        return self.fc(x.mean(dim=(2, 3)))


def main():
    out = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
    y = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    net = Net()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        net.train()
        for i in range(0, len(x), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
            opt.step()
    net.eval()
    tmp = out + ".part"
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), tmp, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
                      do_constant_folding=True)
    os.replace(tmp, out)
    xt = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
    yt = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    print("wrote", out, "test accuracy %.4f" % acc)


if __name__ == "__main__":
    main()
