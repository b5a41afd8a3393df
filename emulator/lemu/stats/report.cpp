#include <lemu/stats/report.hpp>
