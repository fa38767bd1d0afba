# ctest example.deploy_consumer: builds examples/deploy/consumer.cpp against the header that
# example.deploy wrote into DIR, as a program that links nothing of sanenet (C++17,
# -fno-exceptions -fno-rtti, no include path but DIR), and runs it on DIR/expected.txt.
#   cmake -DCXX=g++ -DSOURCE=.../consumer.cpp -DDIR=.../deploy_out -P run_consumer.cmake
execute_process(COMMAND "${CXX}" -std=c++17 -O2 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Werror -I "${DIR}"
                        "${SOURCE}" -o "${DIR}/consumer"
                RESULT_VARIABLE built)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "the consumer of the exported header did not compile (${built})")
endif()
execute_process(COMMAND "${DIR}/consumer" "${DIR}/expected.txt" RESULT_VARIABLE ran)
if(NOT ran EQUAL 0)
  message(FATAL_ERROR "the consumer of the exported header failed (${ran})")
endif()
