#include <lemu/events/source.hpp>
