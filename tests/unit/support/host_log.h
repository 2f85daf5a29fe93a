#ifndef HOST_LOG_H
#define HOST_LOG_H
#include <stdlib.h>
#include <keel/log.h>
#include <keel/types.h>

void host_log_clear(void);
bool host_log_contains(const char *needle);
const char *host_log_text(void);

#endif
