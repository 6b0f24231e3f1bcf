/* The OpenMP threads that a calling thread's model work is shared among. */
#include <omp.h>

#include "vnca/vnca.h"

int vnca_threads(void) { return omp_get_max_threads(); }

void vnca_set_threads(int n) { omp_set_num_threads(n < 1 ? 1 : n); }
