// Intel ISA-L (Debian: libisal-dev): CRC-32 with PCLMULQDQ folding, chosen at run time.
#include <isa-l/crc.h>
