# The install layout (GNUInstallDirs): a Debian maintainer's expectations.
# /etc/vmtrust is the operator's: nothing is installed there.

option(VMTRUST_MAN "Build the man pages from man/*.scd (needs scdoc)" ON)

# systemd's own directories when installing into /usr (Debian 12: units in
# /lib/systemd/system, tmpfiles in /usr/lib/tmpfiles.d), else below the prefix.
pkg_check_modules(SYSTEMD QUIET systemd)
if(SYSTEMD_FOUND AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(VMTRUST_UNITDIR_DEFAULT systemd systemdsystemunitdir)
  pkg_get_variable(VMTRUST_TMPFILESDIR_DEFAULT systemd tmpfilesdir)
else()
  set(VMTRUST_UNITDIR_DEFAULT "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(VMTRUST_TMPFILESDIR_DEFAULT "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d")
endif()
set(VMTRUST_SYSTEMD_UNITDIR "${VMTRUST_UNITDIR_DEFAULT}" CACHE PATH "where the systemd units go")
set(VMTRUST_TMPFILESDIR "${VMTRUST_TMPFILESDIR_DEFAULT}" CACHE PATH "where the tmpfiles.d entry goes")
set(VMTRUST_BASH_COMPLETIONDIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE PATH "where the bash completion goes")

# Units name the installed binary.
set(VMTRUST_BIN "${CMAKE_INSTALL_FULL_BINDIR}/vmtrust")
set(VMTRUST_UNITS vmtrust-measure.service vmtrust-push.service vmtrust-push.timer)
foreach(u vmtrust-measure.service vmtrust-push.service)
  configure_file(${PROJECT_SOURCE_DIR}/systemd/${u}.in ${PROJECT_BINARY_DIR}/systemd/${u} @ONLY)
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/systemd/vmtrust-push.timer ${PROJECT_BINARY_DIR}/systemd/vmtrust-push.timer
               COPYONLY)
foreach(u ${VMTRUST_UNITS})
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${u} DESTINATION ${VMTRUST_SYSTEMD_UNITDIR})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/systemd/vmtrust.tmpfiles DESTINATION ${VMTRUST_TMPFILESDIR}
        RENAME vmtrust.conf)

install(FILES ${PROJECT_SOURCE_DIR}/completion/vmtrust DESTINATION ${VMTRUST_BASH_COMPLETIONDIR})
install(FILES ${PROJECT_SOURCE_DIR}/man/policy.example.json DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        RENAME policy.json)

# Man pages: scdoc sources in man/, generated at build time.
set(VMTRUST_MAN_PAGES vmtrust.1 vmtrust-attest.1 vmtrust-image.1 vmtrust-disk.1 vmtrust-policy.1
    vmtrust-host.1 vmtrust-hook.1 vmtrust-policy.5)
if(VMTRUST_MAN)
  find_program(SCDOC scdoc REQUIRED)
  set(outs)
  foreach(page ${VMTRUST_MAN_PAGES})
    set(src ${PROJECT_SOURCE_DIR}/man/${page}.scd)
    set(out ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(OUTPUT ${out}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
                       COMMAND sh -c "\"$0\" < \"$1\" > \"$2\"" ${SCDOC} ${src} ${out}
                       DEPENDS ${src} VERBATIM)
    list(APPEND outs ${out})
    string(REGEX REPLACE ".*\\." "" section "${page}")
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${outs})
  # vmtrust launch is 'vmtrust hook launch': its page is vmtrust-hook(1).
  file(WRITE ${PROJECT_BINARY_DIR}/man/vmtrust-launch.1 ".so man1/vmtrust-hook.1\n")
  install(FILES ${PROJECT_BINARY_DIR}/man/vmtrust-launch.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
