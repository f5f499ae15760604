# The Debian package: `cpack -G DEB` in a build configured with
# -DHERALD_PACKAGE=ON (scripts/package does both). Included from the
# top-level CMakeLists.txt after its install rules, which put the binary,
# the unit, the man page, the docs and the example /etc/herald in place;
# this file adds what Debian wants beside them and describes the package.
# See packaging/README.md.

# A package must not carry the crash test's fault points (HERALD_FAULT=NAME
# would kill a production daemon), nor the tests and benchmarks.
if(HERALD_TESTS OR HERALD_BENCH OR HERALD_FAULT_POINTS OR HERALD_FUZZ)
  message(FATAL_ERROR "HERALD_PACKAGE=ON needs -DHERALD_TESTS=OFF -DHERALD_BENCH=OFF "
                      "(HERALD_FAULT_POINTS follows HERALD_TESTS) and HERALD_FUZZ=OFF")
endif()

set(HERALD_PACKAGE_MAINTAINER "herald maintainers <maintainers@users.noreply.h-seed-9630ce1e.example>"
    CACHE STRING "The package's Maintainer: (and the changelog's signature)")
set(HERALD_PACKAGE_HOMEPAGE "" CACHE STRING "The package's Homepage: (left out when empty)")

# /usr/share/doc/herald/changelog.gz: a native package's changelog, one entry
# for this version, dated by SOURCE_DATE_EPOCH (scripts/package sets it from
# the last commit) so two builds of one commit are the same file.
string(TIMESTAMP HERALD_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(HERALD_PACKAGE_COMMIT "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE HERALD_PACKAGE_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(HERALD_PACKAGE_COMMIT)
  set(HERALD_PACKAGE_SOURCE "git commit ${HERALD_PACKAGE_COMMIT}")
else()
  set(HERALD_PACKAGE_SOURCE "a source tree without git")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)

# Compressed as dh_compress would: gzip -9 without name or timestamp (-n).
install(CODE "
  execute_process(COMMAND gzip -n -9 -c \"${PROJECT_BINARY_DIR}/packaging/changelog\"
                  OUTPUT_FILE \"${PROJECT_BINARY_DIR}/packaging/changelog.gz\" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"gzip of the changelog failed\")
  endif()
")
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz ${CMAKE_CURRENT_LIST_DIR}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME herald
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# conffiles: every file the package puts in /etc, so dpkg keeps an edited one
# on upgrade (and asks, or keeps it with --force-confold, when the package's
# copy changed too). The list is made from systemd/etc/herald itself, so a
# file added there cannot be left out.
file(GLOB_RECURSE _herald_etc_files RELATIVE ${PROJECT_SOURCE_DIR}/systemd/etc/herald
     ${PROJECT_SOURCE_DIR}/systemd/etc/herald/*)
list(SORT _herald_etc_files)
set(_herald_conffiles "")
foreach(f IN LISTS _herald_etc_files)
  string(APPEND _herald_conffiles "${HERALD_CONFIG_DIR}/${f}\n")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "${_herald_conffiles}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VENDOR "the herald authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${HERALD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "publishes a social-media content calendar at its planned times")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION [=[
herald is a daemon that publishes a team's social-media content calendar,
kept as YAML (usually in git), to X, a Facebook Page, LinkedIn, Instagram,
Mastodon, Bluesky, YouTube, a WordPress blog and static sites, each post at
its planned time. It rewrites the posts' own links for cross-promotion
(UTM parameters, links to the other channels' copies once published) and
publishes at most once: a delivery whose outcome is unknown after a crash is
looked up on the platform, never blindly sent again.

The herald command checks the calendar (like nginx -t), shows the plan, and
talks to the running service: status, queue, history, pause in a crisis,
resume, retry and resolve. The service runs under systemd (Type=notify,
watchdog, a dynamic user, hardened) with a status page, a JSON API and
Prometheus metrics on loopback.]=])
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # herald_VERSION_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${HERALD_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(HERALD_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${HERALD_PACKAGE_HOMEPAGE}")
endif()
# Depends: dpkg-shlibdeps reads the binary's NEEDED libraries and names the
# Debian packages that hold them (libyaml-cpp0.7, libssl3, libsystemd0, ...);
# tzdata is read at run time (date/tz), not linked, so it is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
# Publishing is HTTPS: OpenSSL verifies against the system's CA bundle.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
# sqlite3 for the backups docs/operations.md describes.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/postinst ${CMAKE_CURRENT_LIST_DIR}/prerm ${CMAKE_CURRENT_LIST_DIR}/postrm
    ${PROJECT_BINARY_DIR}/packaging/conffiles)
# 0755 for the maintainer scripts, 0644 for the other control files.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# gzip, not dpkg-deb's default xz: xz takes 40 s more on two cores for the
# 75 MB of debug information, gzip 5 s; the .deb is 1.5 MB instead of 1.1.
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)

# Install with DESTDIR and the real prefix, so the unit's ExecStart= says
# /usr/bin/herald and /etc/herald stays /etc/herald.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# The binary stripped as dh_strip would, its debug information in a
# separate herald-dbgsym_VERSION_amd64.ddeb (/usr/lib/debug/.build-id/...,
# found by gdb through the build id).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
# Before that split, the binary loses its .comment section (the compiler's
# version strings), as dh_strip removes it.
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/pre_build.cmake)

set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
include(CPack)
