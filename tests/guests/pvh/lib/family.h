/* The header the shared library (tests/guests/common/) builds on in the
 * PVH family: its hypercalls (VMCALL/VMMCALL or the hypercall page) and
 * state. The PV library has its own family.h. */
#include "pvh.h"
