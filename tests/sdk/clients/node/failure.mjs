// What a call the SDK rejects says, for the scripts' reports: the SDK rejects with the
// response body when it is JSON (the status is lost).
export async function failure(promise) {
  try {
    await promise;
    return { rejected: false };
  } catch (error) {
    const body = error?.response?.data ?? error;
    return { rejected: true, success: body.success, errorCode: body.errorCode, error: body.error };
  }
}
