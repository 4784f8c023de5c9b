# The image codecs of the data layer (src/data/*_codec.cpp), found the same way when building tint and when another
# project finds the installed package (tintConfig.cmake includes this file): libjpeg-turbo, libpng, libexif, libwebp.
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TINT_EXIF REQUIRED IMPORTED_TARGET libexif)
pkg_check_modules(TINT_WEBP REQUIRED IMPORTED_TARGET libwebp)
set(TINT_IMAGE_CODECS JPEG::JPEG PNG::PNG PkgConfig::TINT_EXIF PkgConfig::TINT_WEBP)
