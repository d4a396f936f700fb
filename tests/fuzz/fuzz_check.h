#pragma once
// FUZZ_CHECK(cond): the invariant check of every fuzz target. A failure prints where and what, then
// aborts, so that libFuzzer keeps the input as a crash and the corpus test fails on it.

#include <cstdio>
#include <cstdlib>

namespace conclave::fuzz {

[[noreturn]] inline void failCheck(const char *file, int line, const char *what)
{
    std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
    std::abort();
}

}  // namespace conclave::fuzz

#define FUZZ_CHECK(cond)                                             \
    do {                                                             \
        if (!(cond))                                                 \
            ::conclave::fuzz::failCheck(__FILE__, __LINE__, #cond);  \
    } while (0)
