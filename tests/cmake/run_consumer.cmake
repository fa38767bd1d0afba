# Driver for the cmake.* tests (cmake -P): optionally installs sanenet into a prefix inside
# the build tree, then configures, builds and runs a consumer project from scratch.
# Inputs (-D): MODE (find_package | add_subdirectory), SANENET_SOURCE_DIR, SANENET_BINARY_DIR,
# CONSUMER_SOURCE_DIR, WORK_DIR, GENERATOR, MAKE_PROGRAM, CXX, EXPECTED_OUTPUT.
cmake_minimum_required(VERSION 3.16)

foreach(_var MODE SANENET_SOURCE_DIR SANENET_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX EXPECTED_OUTPUT)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${_var}=... is required")
  endif()
endforeach()

# Runs a command, echoes it, and stops the test with its output when it fails.
function(run_step what)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "[${MODE}] ${what}: ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "[${MODE}] ${what} failed (${_rc}):\n${_out}")
  endif()
  set(STEP_OUTPUT "${_out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(_build "${WORK_DIR}/build")

set(_configure "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${_build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND _configure "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

if(MODE STREQUAL "find_package")
  set(_prefix "${WORK_DIR}/prefix")
  run_step("install" "${CMAKE_COMMAND}" --install "${SANENET_BINARY_DIR}" --prefix "${_prefix}")
  list(APPEND _configure "-DCMAKE_PREFIX_PATH=${_prefix}" "-DSANENET_EXPECTED_PREFIX=${_prefix}"
       -DCMAKE_BUILD_TYPE=Release)
elseif(MODE STREQUAL "add_subdirectory")
  # No build type on purpose: the consumer checks that sanenet did not impose one.
  list(APPEND _configure "-DSANENET_SOURCE_DIR=${SANENET_SOURCE_DIR}")
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

run_step("configure" ${_configure})
run_step("build" "${CMAKE_COMMAND}" --build "${_build}")
foreach(_program consumer consumer_compiled)
  run_step("run" "${_build}/${_program}")
  string(STRIP "${STEP_OUTPUT}" _out)
  if(NOT _out STREQUAL EXPECTED_OUTPUT)
    message(FATAL_ERROR "[${MODE}] ${_program} printed '${_out}', expected '${EXPECTED_OUTPUT}'")
  endif()
  message(STATUS "[${MODE}] ok: ${_program}: ${_out}")
endforeach()
