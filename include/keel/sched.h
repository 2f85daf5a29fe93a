/* Scheduling. For now each CPU idles until interrupted; the scheduler of
 * vCPUs comes with the PV core. */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <keel/compiler.h>

void idle_loop(void) __noreturn;

#endif
