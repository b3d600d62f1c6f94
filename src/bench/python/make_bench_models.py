#!/usr/bin/python3
"""Exports the torchvision architectures the quantization benchmark runs on, into target/bench-models/.

MobileNetV2, ResNet18 and SqueezeNet 1.1 with random (seeded) weights: no pretrained weights are reachable offline, and random
weights are enough for speed and fusion checks. BatchNorm is folded by the exporter (eval mode, constant folding).
Needs Debian's python3-torch and python3-torchvision. Run by `./mvnw -q test-compile exec:exec@bench-quant`
(through docs/bench-quant.sh); not part of the test suite.
"""
import os
import sys

import torch
import torchvision

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "bench-models")


def export(name, model):
    path = os.path.join(OUT, name + ".onnx")
    if os.path.exists(path):
        return
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
                      do_constant_folding=True)
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("mobilenet_v2", torchvision.models.mobilenet_v2(weights=None))
    torch.manual_seed(0)
    export("resnet18", torchvision.models.resnet18(weights=None))
    torch.manual_seed(0)
    export("squeezenet1_1", torchvision.models.squeezenet1_1(weights=None))


if __name__ == "__main__":
    main()
