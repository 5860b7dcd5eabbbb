# The two commands: `make run` (Kehu with demo data on http://127.0.0.1:8000) and `make test`.
.PHONY: run test setup serve

run: setup
	.venv/bin/kehu setup
	.venv/bin/kehu demo --if-empty
	.venv/bin/kehu serve

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh
