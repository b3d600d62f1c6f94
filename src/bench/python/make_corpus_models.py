#!/usr/bin/python3
"""Exports the real-model corpus the workbench is tested on (issue 14) into a folder (default target/corpus-models/).

Random (seeded) weights: conformance of inputs, shapes, quantization and pruning needs the real architectures, not
trained weights. Models keep the dynamic dimensions users meet: batch, image height/width, sequence length, and
extra state inputs. Needs Debian's python3-torch and python3-torchvision.

  make_corpus_models.py OUT [ci|full]

`ci` (default) exports the set CorpusIT runs in CI; `full` adds the heavier ones (`./mvnw -q test-compile
exec:exec@bench-corpus` runs them all and writes the coverage table into docs/benchmarks.md).

Batch-norm statistics are measured on random images before export (`settle`): with the constructors' running
statistics (mean 0, variance 1) deep random networks such as EfficientNet-B0 shrink their activations to ~1e-14,
and an output that is numerically zero says nothing about quantization or pruning.
"""
import os
import sys
import warnings

import torch
import torchvision

warnings.filterwarnings("ignore")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("target", "corpus-models")
SET = sys.argv[2] if len(sys.argv) > 2 else "ci"


def export(name, model, args, inputs, outputs, dynamic, opset=13):
    path = os.path.join(OUT, name + ".onnx")
    if os.path.exists(path):
        return
    model.eval()
    tmp = path + ".part"
    # with grad enabled: under no_grad PyTorch's fused transformer fast path has no ONNX export
    torch.onnx.export(model, args, tmp, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                      opset_version=opset, do_constant_folding=True)
    os.replace(tmp, path)
    print("wrote", path, os.path.getsize(path), "bytes", flush=True)


def settle(model, size=224):
    """Measures every BatchNorm's running statistics on seeded random images, as training would have."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return model
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    gen = torch.Generator().manual_seed(1)
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=gen))
    return model.eval()


def image_model(name, ctor, size=224, outputs=("logits",)):
    if os.path.exists(os.path.join(OUT, name + ".onnx")):
        return
    torch.manual_seed(0)
    dyn = {"image": {0: "batch", 2: "height", 3: "width"}}
    for o in outputs:
        dyn[o] = {0: "batch"}
    export(name, settle(ctor(), size), torch.zeros(1, 3, size, size), ["image"], list(outputs), dyn)


class Seg(torch.nn.Module):
    """torchvision segmenters return a dict; the exported graph has the 'out' map only."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


class Encoder(torch.nn.Module):
    """A text encoder: token embeddings, a TransformerEncoder and a per-token head; dynamic sequence length."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(1000, 64)
        layer = torch.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2)
        self.head = torch.nn.Linear(64, 8)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)))


class Recurrent(torch.nn.Module):
    """A streaming audio model like a voice-activity detector: features, state in, state out."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.rnn = cls(40, 64, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(64, 2)

    def forward(self, x, h, c=None):
        if self.kind == "lstm":
            y, (h2, c2) = self.rnn(x, (h, c))
            return torch.sigmoid(self.head(y)), h2, c2
        y, h2 = self.rnn(x, h)
        return torch.sigmoid(self.head(y)), h2


class TwoInputs(torch.nn.Module):
    """An image and a per-sample gain vector: a small multi-input model with dynamic height and width."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 16, 3, padding=1, stride=2)
        self.fc = torch.nn.Linear(16, 5)

    def forward(self, image, gain):
        y = torch.relu(self.conv(image))
        y = torch.relu(self.conv2(y)).mean(dim=(2, 3))
        return self.fc(y * gain)


def detector(name, ctor, outputs, size=320, **kwargs):
    """A torchvision detector: one [3,H,W] image in (no batch dimension), a variable number of detections out.

    `outputs` names the dict's values in the order the model returns them (SSD: boxes, scores, labels; R-CNN:
    boxes, labels, scores); `kwargs` go to the constructor (a zero score threshold keeps random weights' detections).
    """
    torch.manual_seed(0)
    m = ctor(weights=None, weights_backbone=None, **kwargs)
    try:
        export(name, m, ([torch.rand(3, size, size)],), ["image"], list(outputs),
               dict({"image": {1: "height", 2: "width"}}, **{o: {0: "detections"} for o in outputs}), opset=13)
    except Exception as e:  # report and go on: the coverage table says which did not export
        print("could not export", name, ":", str(e).splitlines()[0], flush=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    tv = torchvision.models
    image_model("mobilenet_v3_small", lambda: tv.mobilenet_v3_small(weights=None))
    image_model("shufflenet_v2_x0_5", lambda: tv.shufflenet_v2_x0_5(weights=None))
    torch.manual_seed(0)
    export("lraspp_mobilenet_v3", settle(Seg(tv.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None))),
           torch.zeros(1, 3, 224, 224), ["image"], ["out"],
           {"image": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "height", 3: "width"}})
    torch.manual_seed(0)
    export("transformer_encoder", Encoder(), torch.zeros(1, 12, dtype=torch.long), ["tokens"], ["scores"],
           {"tokens": {0: "batch", 1: "sequence"}, "scores": {0: "batch", 1: "sequence"}})
    torch.manual_seed(0)
    export("lstm_state", Recurrent("lstm"), (torch.zeros(1, 10, 40), torch.zeros(2, 1, 64), torch.zeros(2, 1, 64)),
           ["features", "h", "c"], ["speech", "h_out", "c_out"],
           {"features": {0: "batch", 1: "frames"}, "h": {1: "batch"}, "c": {1: "batch"}, "speech": {0: "batch", 1: "frames"}})
    torch.manual_seed(0)
    export("gru_state", Recurrent("gru"), (torch.zeros(1, 10, 40), torch.zeros(2, 1, 64)),
           ["features", "h"], ["speech", "h_out"],
           {"features": {0: "batch", 1: "frames"}, "h": {1: "batch"}, "speech": {0: "batch", 1: "frames"}})
    torch.manual_seed(0)
    export("two_inputs", TwoInputs(), (torch.zeros(1, 3, 32, 32), torch.ones(1, 16)), ["image", "gain"], ["scores"],
           {"image": {0: "batch", 2: "height", 3: "width"}, "gain": {0: "batch"}, "scores": {0: "batch"}})
    detector("ssdlite320_mobilenet_v3", tv.detection.ssdlite320_mobilenet_v3_large, ("boxes", "scores", "labels"))
    if SET != "full":
        return
    image_model("resnet18", lambda: tv.resnet18(weights=None))
    image_model("efficientnet_b0", lambda: tv.efficientnet_b0(weights=None))
    image_model("regnet_y_400mf", lambda: tv.regnet_y_400mf(weights=None))
    image_model("convnext_tiny", lambda: tv.convnext_tiny(weights=None))
    torch.manual_seed(0)
    export("deeplabv3_mobilenet_v3", settle(Seg(tv.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None))),
           torch.zeros(1, 3, 224, 224), ["image"], ["out"],
           {"image": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "height", 3: "width"}})
    detector("fasterrcnn_mobilenet_v3_320_fpn", tv.detection.fasterrcnn_mobilenet_v3_large_320_fpn,
             ("boxes", "labels", "scores"), box_score_thresh=0.0)


if __name__ == "__main__":
    main()
