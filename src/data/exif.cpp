// EXIF orientation through libexif, which parses the TIFF structure of the APP1 segment (byte order, IFD offsets,
// entry types) with the bounds checks a hand-written walk would have to repeat.
#include <libexif/exif-data.h>

#include "codecs.h"

namespace tint::data::codecs {

int exif_orientation(const unsigned char* data, size_t size) {
  ExifData* exif = exif_data_new_from_data(data, static_cast<unsigned int>(size));
  if (exif == nullptr) return 1;
  int orientation = 1;
  if (ExifEntry* entry = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
      entry != nullptr && entry->format == EXIF_FORMAT_SHORT && entry->components == 1 && entry->size >= 2) {
    const int value = exif_get_short(entry->data, exif_data_get_byte_order(exif));
    if (value >= 1 && value <= 8) orientation = value;  // anything else is ignored, as by cameras' viewers
  }
  exif_data_unref(exif);
  return orientation;
}

}  // namespace tint::data::codecs
