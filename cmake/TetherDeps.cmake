# Third-party libraries that some modules use. Each found library adds a
# TETHER_HAVE_<NAME> definition and joins TETHER_LINK_LIBS; a module whose
# library is missing compiles to nothing and its feature reports
# TETHER_ERR_UNSUPPORTED. scripts/deps.sh installs all of them.
find_package(PkgConfig)
set(TETHER_LINK_LIBS "")
set(TETHER_PC_REQUIRES "")
foreach(dep sqlite3 libmicrohttpd libcjson libcbor expat)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_${dep} QUIET ${dep})
  endif()
  if(PC_${dep}_FOUND)
    string(TOUPPER ${dep} up)
    string(REPLACE "LIB" "" up ${up})
    target_compile_definitions(tether_obj PUBLIC TETHER_HAVE_${up}=1)
    # Plain paths rather than imported targets keep the installed CMake
    # package free of targets it cannot export.
    target_include_directories(tether_obj SYSTEM PUBLIC ${PC_${dep}_INCLUDE_DIRS})
    list(APPEND TETHER_LINK_LIBS ${PC_${dep}_LINK_LIBRARIES})
    string(APPEND TETHER_PC_REQUIRES " ${dep}")
  endif()
endforeach()

# jsmn (Debian libjsmn-dev) is one header with no .pc file: the JSON
# decoders include it in src/lwm2m/json_doc.c only.
include(CheckIncludeFile)
check_include_file(jsmn.h TETHER_JSMN_H)
if(TETHER_JSMN_H)
  target_compile_definitions(tether_obj PUBLIC TETHER_HAVE_JSMN=1)
endif()
list(APPEND TETHER_LINK_LIBS m)
