# Conveniences over scripts/ (the README's two commands are the scripts themselves).
.PHONY: serve test wasm site setup bench bench-wasm model
serve: ; ./scripts/serve.sh
test: ; ./scripts/test.sh
wasm: ; ./scripts/build-wasm.sh
site: ; ./scripts/build-site.sh
setup: ; ./scripts/setup.sh
# Every benchmark, one table each, and target/bench/bench.json (not a test).
bench: ; ./scripts/bench.sh
model: ; ./scripts/train-default-model.sh
# Scalar vs SIMD in headless Chromium (prints figures; not a test).
bench-wasm:
	./scripts/bench-wasm.sh
