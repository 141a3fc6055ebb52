# `tessera reindex` as a user runs it (the e2e search suite rebuilds a real index the server then
# serves): run with -DTESSERA=<binary> -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch>.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
include("${CMAKE_CURRENT_LIST_DIR}/cli_helpers.cmake")
set(common --store "sqlite:${WORK_DIR}/store.db" --search "sqlite:${WORK_DIR}/search.db" --schemas "${SOURCE_DIR}/schemas")

run(0 reindex ${common})
expect("${out}" "^reindexed 0 documents in [0-9.e+-]+ s.* into sqlite\n$" "summary of an empty store")
if(NOT EXISTS "${WORK_DIR}/search.db")
    message(FATAL_ERROR "reindex did not create the index file")
endif()
run(0 reindex ${common} --collection plans)
expect("${out}" "of plans" "one collection")

run(2 reindex ${common} --collection nope)
expect("${err}" "no searchable collection 'nope'" "unknown collection")
run(2 reindex --store "bogus:x" --search "sqlite:${WORK_DIR}/search.db" --schemas "${SOURCE_DIR}/schemas")
expect("${err}" "cannot open the store" "bad store URL")
run(2 reindex ${common} --search "ftp://x")
expect("${err}" "cannot open the index" "bad index URL")
run(2 reindex --frobnicate)
expect("${err}" "unexpected argument" "unknown flag")
run(0 reindex --help)
expect("${out}" "usage: tessera reindex" "help")
