// sanenet: the one header users include. Networks declared as types that refuse the
// classic training mistakes (Holden, "My Neural Network isn't working!").
#pragma once

// core
#include <sanenet/core/config.hpp>
#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>

// data
