# tetherd's HTTP front (apps/tetherd/http*.c, api*.c, metrics*.c): it needs
# libmicrohttpd and cJSON, and carries every file of apps/tetherd/www/
# inside the binary. Included by the top-level CMakeLists.txt once the
# tetherd target exists.
find_package(PkgConfig)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(TETHERD_MHD QUIET libmicrohttpd)
  pkg_check_modules(TETHERD_CJSON QUIET libcjson)
endif()
if(NOT TETHERD_MHD_FOUND OR NOT TETHERD_CJSON_FOUND)
  message(FATAL_ERROR "tetherd needs libmicrohttpd and cJSON for its REST API and web UI "
    "(Debian: libmicrohttpd-dev libcjson-dev; scripts/deps.sh installs them), or "
    "configure with -DTETHER_APPS=OFF to build the library alone.")
endif()
target_include_directories(tetherd SYSTEM PRIVATE ${TETHERD_MHD_INCLUDE_DIRS}
  ${TETHERD_CJSON_INCLUDE_DIRS})
target_link_libraries(tetherd PRIVATE ${TETHERD_MHD_LINK_LIBRARIES}
  ${TETHERD_CJSON_LINK_LIBRARIES})

# Static assets: each file under www/ becomes a C array in one generated
# source, tetherd_www.c (tetherd_assets[], see apps/tetherd/http_internal.h).
# The glob re-runs at build time, so adding a file needs no CMake edit.
set(TETHERD_WWW_DIR ${PROJECT_SOURCE_DIR}/apps/tetherd/www)
file(GLOB_RECURSE TETHERD_WWW_FILES CONFIGURE_DEPENDS ${TETHERD_WWW_DIR}/*)
set(TETHERD_WWW_C ${PROJECT_BINARY_DIR}/tetherd_www.c)
add_custom_command(OUTPUT ${TETHERD_WWW_C}
  COMMAND ${CMAKE_COMMAND} -DDIR=${TETHERD_WWW_DIR} -DOUT=${TETHERD_WWW_C}
          -P ${PROJECT_SOURCE_DIR}/cmake/TetherdEmbed.cmake
  DEPENDS ${TETHERD_WWW_FILES} ${PROJECT_SOURCE_DIR}/cmake/TetherdEmbed.cmake
  COMMENT "Embedding apps/tetherd/www into tetherd"
  VERBATIM)
target_sources(tetherd PRIVATE ${TETHERD_WWW_C})
target_include_directories(tetherd PRIVATE ${PROJECT_SOURCE_DIR}/apps/tetherd)
