# The system libraries the layers use besides LibTorch, fmt and JSON, found the same way when building tint and when
# another project finds the installed package (tintConfig.cmake includes this file).
find_package(PkgConfig REQUIRED)
# Image codecs (src/data/*_codec.cpp): libjpeg-turbo, libpng, libexif, libwebp.
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
pkg_check_modules(TINT_EXIF REQUIRED IMPORTED_TARGET libexif)
pkg_check_modules(TINT_WEBP REQUIRED IMPORTED_TARGET libwebp)
set(TINT_IMAGE_CODECS JPEG::JPEG PNG::PNG PkgConfig::TINT_EXIF PkgConfig::TINT_WEBP)
# Pascal VOC annotations (src/data/voc_xml.cpp) are XML: read with pugixml, not by hand.
find_package(pugixml REQUIRED)
set(TINT_XML pugixml::pugixml)
# Text on images (class labels on detections, src/report/): FreeType renders the glyphs, fontconfig finds the font.
find_package(Freetype REQUIRED)
find_package(Fontconfig REQUIRED)
set(TINT_TEXT Freetype::Freetype Fontconfig::Fontconfig)
# ONNX export (src/export/): models written through libonnx's protobuf classes (Debian's libonnx-dev, which needs
# protobuf's CMake package first). Debian's LibTorch links the same libonnx_proto and libprotobuf.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
set(TINT_ONNX onnx_proto)
# Video (src/video/): Debian's FFmpeg 5.1 libraries demux, decode, convert to RGB and mux; libavcodec's libx264
# encodes H.264.
pkg_check_modules(TINT_FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
set(TINT_VIDEO PkgConfig::TINT_FFMPEG)
