"""Deployment formats for trained runs: ONNX graphs with explicit recurrent state (`onnx.py`), a
numpy + onnxruntime runner that needs no PyTorch model code (`runner.py`), and int8 dynamic
quantization into a normal run folder (`quantize.py`).

onnx and onnxruntime are the optional extra `rnnkit[export]`; they are imported where used."""
