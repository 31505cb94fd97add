#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>

/* What Swift's Glibc module leaves out: epoll, eventfd and TCP options, for the load engine's own loop. */

#include <sys/prctl.h>
/* prctl is variadic, which Swift cannot call: names the calling thread (at most 15 bytes show). */
static inline void tg_name_this_thread(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }
