"""fakescope.export: Keras → ONNX with in-graph Grad-CAM, validated, quantised and sealed with a model card.

Modules (each imports tensorflow, tf2onnx and onnx only inside the functions that need them):
    spec        the export's I/O contract and tolerances (`ExportSpec`)
    head        the head check (last_conv → gap → dropout → logit → prob_fake) and its parts
    convert     tf2onnx conversion with the `cam` output computed in the graph
    reference   the Keras reference: prob_fake, logit and a GradientTape Grad-CAM
    validate    names → shapes → values, one line per output, typed errors
    quantize    static INT8 (QDQ) and FP16 variants
    card        the model card from the run's train_config.json and metrics.json
    card_io     sealing a card into an ONNX model (graph hash)
    samples     validation and calibration batches through the runtime's preprocess
    errors      ExportError and its subclasses
    pipeline    `export_model`, which always converts then validates
    evaluate_onnx  test-split metrics of an exported model, run by the edge runtime

Example:
    >>> from fakescope.export.pipeline import export_model
    >>> export_model("runs/demo/best_model.keras", "models/fakescope-demo.onnx", int8=True, calib="data/demo")
"""
