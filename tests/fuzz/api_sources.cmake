# Fuzz targets of tetherd's REST API (tests/fuzz/fuzz_api*.c) compile the
# pure app files they test -- apps/tetherd/api_values.c (needs cJSON) and
# api_parse.c -- themselves, as the fuzz build has -DTETHER_APPS=OFF.
# Included by tests/fuzz/CMakeLists.txt (libFuzzer builds) and
# tests/CMakeLists.txt (seed replay). tether_fuzz_api_sources(target name
# required): nothing unless name starts with fuzz_api; without cJSON a
# fatal error when required, else the target is dropped from the build.
function(tether_fuzz_api_sources target name required)
  if(NOT name MATCHES "^fuzz_api")
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(TETHER_FUZZ_CJSON QUIET libcjson)
  endif()
  if(NOT TETHER_FUZZ_CJSON_FOUND)
    if(required)
      message(FATAL_ERROR "${name} needs cJSON (Debian: libcjson-dev; scripts/deps.sh)")
    endif()
    message(WARNING "${name}: cJSON not found, not built")
    set_target_properties(${target} PROPERTIES EXCLUDE_FROM_ALL TRUE)
    return()
  endif()
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/tetherd/api_values.c
    ${PROJECT_SOURCE_DIR}/apps/tetherd/api_parse.c)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/apps/tetherd)
  target_include_directories(${target} SYSTEM PRIVATE ${TETHER_FUZZ_CJSON_INCLUDE_DIRS})
  target_link_libraries(${target} PRIVATE ${TETHER_FUZZ_CJSON_LINK_LIBRARIES})
  target_compile_definitions(${target} PRIVATE
    TETHER_FUZZ_MODELS_DIR="${PROJECT_SOURCE_DIR}/tests/server/models/good")
endfunction()
