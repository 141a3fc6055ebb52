# Shared by the cli.* scripts: run the tessera binary (-DTESSERA=) and check what it printed.

# run(<expected exit status> <args>...): runs tessera (with ${stdin}, e.g. INPUT_FILE f, when set),
# fails unless it exits so; leaves out/err.
function(run expected)
    execute_process(COMMAND "${TESSERA}" ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err
                    ${stdin})
    if(NOT status STREQUAL expected)
        message(FATAL_ERROR "tessera ${ARGN}\nexited ${status}, expected ${expected}\nstdout:\n${out}\nstderr:\n${err}")
    endif()
    set(out "${out}" PARENT_SCOPE)
    set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect text pattern what)
    if(NOT text MATCHES "${pattern}")
        message(FATAL_ERROR "${what}: expected to match '${pattern}', got:\n${text}")
    endif()
endfunction()
