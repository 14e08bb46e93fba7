/*
 * fuzz: what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one file, fuzz_NAME.c, built by `make fuzz` into
 * build/fuzz/fuzz_NAME with clang -fsanitize=fuzzer,address,undefined and
 * run by scripts/fuzz.sh over a copy of tests/fuzz/corpus/fuzz_NAME/.
 * Besides the sanitizers' own checks, a target states the documented
 * contract of what it calls with FUZZ_CHECK: a breach is a crash.
 */
#ifndef JS_FUZZ_H
#define JS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,        \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
