#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>

/* What Swift's Glibc module leaves out: epoll, eventfd and TCP options, for the load engine's own loop. */
