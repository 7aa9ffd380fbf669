"""fuzz_target: one libFuzzer target and a test that replays its seeds on every build.

    fuzz_target(
        name = "multipart_fuzzer",
        srcs = ["multipart_fuzzer.cc"],
        deps = [...],
    )

defines
  - `<name>`: under --config=fuzz (clang, libFuzzer, ASan, UBSan), a libFuzzer binary that
    tools/fuzz.sh runs over corpus/<name>/; in any other build, the same entry point behind a
    small main() that runs each file or directory named on its command line once.
  - `<name>_seeds_test`: a cc_test that runs every file of corpus/<name>/ and
    regressions/<name>/ through LLVMFuzzerTestOneInput, so `bazel test //...` (and each
    sanitizer config) replays the seeds and every crash ever found.
"""

def fuzz_target(name, srcs, deps = [], tags = []):
    native.cc_library(
        name = name + "_lib",
        srcs = srcs,
        deps = deps,
        testonly = True,
        alwayslink = True,
        tags = tags,
    )
    native.cc_binary(
        name = name,
        testonly = True,
        deps = [":" + name + "_lib"] + select({
            "//fuzz:libfuzzer": [],
            "//conditions:default": ["//fuzz:standalone_main"],
        }),
        linkopts = select({
            "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = tags,
    )
    seeds = native.glob(["corpus/%s/**" % name])
    regressions = native.glob(["regressions/%s/**" % name])
    native.cc_test(
        name = name + "_seeds_test",
        size = "small",
        deps = [":" + name + "_lib", "//fuzz:standalone_main"],
        data = seeds + regressions,
        args = ["--require_inputs", "fuzz/corpus/" + name, "fuzz/regressions/" + name],
        tags = tags,
    )
