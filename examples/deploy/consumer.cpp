// The program a game or a plugin would be: it includes the header sn::export_header wrote
// (examples/deploy.cpp) and links nothing of sanenet, xtensor or xsimd. ctest builds it as C++17
// with -fno-exceptions -fno-rtti -Wall -Wextra -Werror (examples/deploy/run_consumer.cmake) and
// checks its predictions against predict_one's, written to expected.txt by the example.
#include "arm_model.hpp"

#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
    static_assert(arm::inputs == 4 && arm::outputs == 2);
    if (argc != 2) return 2;
    std::FILE* f = std::fopen(argv[1], "r");
    if (!f) return 3;
    float in[arm::inputs], expected[arm::outputs];
    int rows = 0;
    double worst = 0.0;
    while (std::fscanf(f, "%f %f %f %f %f %f", &in[0], &in[1], &in[2], &in[3], &expected[0], &expected[1]) == 6) {
        float hand[arm::outputs];
        arm::predict(in, hand);  // degrees and cm in, cm out: the scalers are in the header
        for (int j = 0; j < arm::outputs; ++j) worst = std::fmax(worst, std::fabs(double(hand[j]) - expected[j]));
        if (rows++ == 0)
            std::printf("shoulder %.1f deg, elbow %.1f deg, links %.1f and %.1f cm -> hand at (%.2f, %.2f) cm\n", in[0], in[1],
                        in[2], in[3], hand[0], hand[1]);
    }
    std::fclose(f);
    std::printf("%d predictions, worst difference from sanenet's predict_one %.3g cm\n", rows, worst);
    return rows == 20 && worst < 1e-3 ? 0 : 1;
}
