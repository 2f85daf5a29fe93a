/* The header the shared library (tests/guests/common/) builds on in the PV
 * family: its hypercalls (through the hypercall page) and state. The PVH
 * library has its own family.h. */
#include "guest.h"
