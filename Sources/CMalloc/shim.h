// glibc's malloc tuning (mallopt, malloc_trim): not part of Swift's Glibc module. Part of libc,
// so nothing to link. Imported by AgentServices only (HeapRelease).
#include <malloc.h>
