#include <lemu/stats/summary.hpp>
