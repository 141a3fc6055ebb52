# ctest's fuzz.<target>: runs one libFuzzer target for SECONDS over a writable copy of its seed corpus
# (new inputs it finds stay in the build tree, never in the sources). Any finding fails: libFuzzer
# exits non-zero on a crash, a leak, a sanitizer report, an input slower than 10 s or RSS over 2 GiB.
# -DFUZZER= -DCORPUS= -DWORK= -DSECONDS=
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(COPY "${CORPUS}/" DESTINATION "${WORK}/corpus")
set(ENV{ASAN_OPTIONS} "detect_leaks=1:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1")
set(ENV{UBSAN_OPTIONS} "halt_on_error=1:print_stacktrace=1")
execute_process(
    COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -max_len=65536
            -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ "${WORK}/corpus"
    RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    file(GLOB findings "${WORK}/artifacts/*")
    message(FATAL_ERROR "${FUZZER} found a problem (exit ${status}); reproduce with: ${FUZZER} ${findings}")
endif()
