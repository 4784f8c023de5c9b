# Installs the library, its headers, the CLI and the embedded data, and exports a CMake package so that
# another project can `find_package(tint)` and link `tint::tint`.
include(CMakePackageConfigHelpers)
get_property(tint_layers GLOBAL PROPERTY TINT_LAYERS)
list(TRANSFORM tint_layers PREPEND tint_ OUTPUT_VARIABLE tint_layer_targets)
install(TARGETS tint tint_options ${tint_layer_targets} EXPORT tintTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tint-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/tint DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY data/cifar10-horse data/pretrained DESTINATION ${CMAKE_INSTALL_DATADIR}/tint)
install(EXPORT tintTargets NAMESPACE tint:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tint)
configure_package_config_file(cmake/tintConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/tintConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tint)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tintConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tintConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/tintConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/TintSystemLibraries.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tint)
