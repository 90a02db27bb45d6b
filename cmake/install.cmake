# install(EXPORT) with skeinConfig.cmake, a version file and skein.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS skein EXPORT skeinTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/skein DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT skeinTargets NAMESPACE skein:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/skein)

configure_package_config_file(cmake/skeinConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/skeinConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/skein)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/skeinConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/skeinConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/skeinConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/skein)

configure_file(cmake/skein.pc.in ${CMAKE_CURRENT_BINARY_DIR}/skein.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/skein.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
