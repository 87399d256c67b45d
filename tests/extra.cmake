# tests/extra.cmake — test registrations beyond the one-executable-per-file rule of
# tests/CMakeLists.txt (which includes this file last):
#   - the ABI checks (label abi): abi_exports (the shared library exports exactly
#     bindings/abi/skv.symbols, SONAME libskv.so.1, header/map/list agree) and abi_pkgconfig
#     (install into a temporary prefix, build an outside program with pkg-config, run it);
#   - tool_vlog (label tool): the `skv` tool on databases with a value log
#     (tool/test_tool_vlog.sh);
#   - tour (label tool): the C tour (tools/tour.c) twice on a scratch folder, the second run
#     checking what the first left;
#   - the tsan label, added to every test whose name contains "concurrent" or "stress", so a
#     ThreadSanitizer build can run just those with `ctest -L tsan`.

find_program(SKV_BASH bash REQUIRED)

add_test(NAME abi_exports
         COMMAND ${SKV_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_exports.sh
                 $<TARGET_FILE:skv> ${PROJECT_SOURCE_DIR})
set_tests_properties(abi_exports PROPERTIES LABELS abi TIMEOUT 120
                     ENVIRONMENT "CC=${CMAKE_C_COMPILER}")

add_test(NAME abi_pkgconfig
         COMMAND ${CMAKE_COMMAND} -E env CC=${CMAKE_C_COMPILER} SKV_SANITIZE=${SKV_SANITIZE}
                 ${SKV_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_pkgconfig.sh
                 ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
# The install step reads the whole build tree: run it alone, after everything is built.
set_tests_properties(abi_pkgconfig PROPERTIES LABELS abi TIMEOUT 300 RUN_SERIAL TRUE)

if(TARGET skv_tour)
  set(skv_tour_dir ${CMAKE_CURRENT_BINARY_DIR}/tour.db)
  add_test(NAME tour
           COMMAND ${SKV_BASH} -c "rm -rf '${skv_tour_dir}' '${skv_tour_dir}-checkpoint' && '$<TARGET_FILE:skv_tour>' '${skv_tour_dir}' && '$<TARGET_FILE:skv_tour>' '${skv_tour_dir}'")
  set_tests_properties(tour PROPERTIES LABELS tool TIMEOUT 120)
endif()

# tsan label: tests of this directory whose names contain "concurrent" or "stress".
get_property(skv_all_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
foreach(t IN LISTS skv_all_tests)
  if(t MATCHES "concurrent|stress")
    get_test_property(${t} LABELS skv_labels)
    if(NOT skv_labels)
      set(skv_labels "")
    endif()
    list(APPEND skv_labels tsan)
    list(REMOVE_DUPLICATES skv_labels)
    set_tests_properties(${t} PROPERTIES LABELS "${skv_labels}")
  endif()
endforeach()

# The `skv` tool on databases with a value log (label tool): checkpoint, check, restore.
if(TARGET skv_tool)
  add_test(NAME tool_vlog
           COMMAND ${SKV_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/tool/test_tool_vlog.sh
                   $<TARGET_FILE:skv_tool>)
  set_tests_properties(tool_vlog PROPERTIES LABELS tool TIMEOUT 120)
endif()
