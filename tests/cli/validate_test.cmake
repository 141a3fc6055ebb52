# `tessera validate` end to end: run with -DTESSERA=<binary> -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch>.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(schemas "${SOURCE_DIR}/schemas")
set(plan "${SOURCE_DIR}/examples/data/plan.json")

include("${CMAKE_CURRENT_LIST_DIR}/cli_helpers.cmake")

# Valid: exit 0, nothing on stdout.
run(0 validate --schemas "${schemas}" --schema plan "${plan}")
expect("${out}" "^$" "valid plan output")
run(0 validate "--schemas=${schemas}" --schema plans "${plan}")  # a collection name works too

# Invalid: exit 1, one JSON object per error and line, in document order.
file(READ "${plan}" text)
string(REPLACE "\"copay\": 175" "\"copay\": \"175\"" text "${text}")
string(REPLACE "\"planType\": \"inNetwork\",\n" "" text "${text}")
string(REPLACE "\"name\": \"well baby\"" "\"name\": \"well baby\", \"extra\": 1" text "${text}")
file(WRITE "${WORK_DIR}/bad-plan.json" "${text}")
run(1 validate --schemas "${schemas}" --schema plan "${WORK_DIR}/bad-plan.json" "${plan}")
string(STRIP "${out}" out)
string(REPLACE "\n" ";" lines "${out}")
set(expected_errors
    "|required property 'planType' is missing"
    "/linkedPlanServices/1/linkedService/extra|property 'extra' is not allowed"
    "/linkedPlanServices/1/planserviceCostShares/copay|expected integer, got string")
list(LENGTH lines count)
list(LENGTH expected_errors expected_count)
if(NOT count EQUAL expected_count)
    message(FATAL_ERROR "expected ${expected_count} error lines, got:\n${out}")
endif()
foreach(i RANGE 0 2)
    list(GET lines ${i} line)
    list(GET expected_errors ${i} expected)
    string(JSON file GET "${line}" file)
    string(JSON pointer GET "${line}" pointer)
    string(JSON message GET "${line}" message)
    string(JSON members LENGTH "${line}")
    if(NOT file STREQUAL "${WORK_DIR}/bad-plan.json" OR NOT "${pointer}|${message}" STREQUAL expected OR NOT members EQUAL 3)
        message(FATAL_ERROR "error line ${i}: expected ${expected}, got ${line}")
    endif()
endforeach()

# Standard input, and a single schema file.
set(stdin INPUT_FILE "${plan}")
run(0 validate --schema-file "${schemas}/plan.json" -)
set(stdin INPUT_FILE "${WORK_DIR}/bad-plan.json")
run(1 validate --schema-file "${schemas}/plan.json" -)
expect("${out}" "^{\"file\":\"-\",\"pointer\":" "stdin errors name the file -")
unset(stdin)

# I/O and usage errors: exit 2 with the place on stderr.
run(2 validate --schemas "${schemas}" --schema plan "${WORK_DIR}/missing.json")
expect("${err}" "missing.json: no such file" "missing file")
file(WRITE "${WORK_DIR}/broken.json" "{\n  \"objectId\": tru\n}")
run(2 validate --schemas "${schemas}" --schema plan "${WORK_DIR}/broken.json" "${plan}")
expect("${err}" "broken.json: malformed JSON: .* at line 2, column" "malformed file")
run(2 validate --schemas "${schemas}" --schema nope "${plan}")
expect("${err}" "no schema 'nope'" "unknown schema")
file(WRITE "${WORK_DIR}/schemas/bad.json" "{\"x-tessera\": {\"id\": {\"generat\": \"hex32\"}}}")
run(2 validate --schemas "${WORK_DIR}/schemas" --schema bad "${plan}")
expect("${err}" "bad.json: /x-tessera/id/generat: unknown key 'generat'" "broken schema")
run(2 validate --schema-file "${schemas}/plan.json")
expect("${err}" "no FILE to validate" "no files")
run(2 validate --schemas "${schemas}" "${plan}")
run(2 validate --bogus "${plan}")

# Help, version and unknown commands.
run(0 validate --help)
expect("${out}" "usage: tessera validate --schemas DIR --schema NAME FILE" "validate --help")
run(0 --help)
expect("${out}" "validate" "--help lists validate")
run(0 --version)
expect("${out}" "^tessera [0-9]+\\.[0-9]+\\.[0-9]+" "--version")
run(2 frobnicate)
expect("${err}" "unknown command 'frobnicate'.*usage: tessera" "unknown command")
run(2)
