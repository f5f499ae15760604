# CPack runs this after installing into its staging directory and before the
# DEB generator splits the debug information off: it removes the binary's
# .comment section (the compiler's version strings), as dh_strip does.
find_program(HERALD_OBJCOPY objcopy REQUIRED)
file(GLOB_RECURSE _binaries "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/bin/herald")
if(NOT _binaries)
  message(FATAL_ERROR "pre_build.cmake: no bin/herald under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
foreach(binary IN LISTS _binaries)
  execute_process(COMMAND ${HERALD_OBJCOPY} --remove-section=.comment "${binary}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "objcopy --remove-section=.comment ${binary} failed")
  endif()
endforeach()
